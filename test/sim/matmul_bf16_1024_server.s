# C[1024 x 1024] (f32) = A[1024 x 1024] (bf16) x B[1024 x 1024] (bf16) on the
# four cores of snpu-server. Core c computes rows [256c, 256c + 256): the
# first line is rewritten per core (`li r1, 256` for core 1, ...).
# DRAM, row-major: A at 0, B at 2 MiB, C at 4 MiB.
#
# Blocks: C is 128 x 256 in one of two accumulator buffers (128 KiB each);
# each k step multiplies a 128 x 128 A block (ibuf, two 32 KiB buffers) by a
# 128 x 256 B block (wbuf, two 64 KiB buffers). Per step the matrix unit is
# busy 1024 cycles and DMA-in moves 96 KiB (384 cycles at 256 B/cycle), so
# with double buffering the matrix unit never waits after the first step.
#
# Semaphores:  mxu -> din 0:  an input buffer pair is free (2 at start)
#              din -> mxu 0:  A and B blocks are loaded
#              mxu -> dout 0: an accumulator buffer holds a finished C block
#              dout -> mxu 1: an accumulator buffer may be overwritten (2)
        li r1, 0                # first row of this core
        li r24, 256
        add r24, r1, r24        # one past the last row
        li r5, 1024             # N
        li r6, 1024             # K
        li r15, 2097152         # B
        li r16, 4194304         # C
        li r19, 1
        li r25, 128
        li r26, 256
        li r28, 512
        li r29, 32768           # ibuf buffer toggle
        li r30, 65536           # wbuf buffer toggle
        li r31, 131072          # acc buffer toggle
        mcfg 128, 128, 256
        # DMA-out: a 128 x 256 f32 block, acc pitch 1024 B, C pitch 4096 B.
        dcfg.dout shape, r26, r25, r19
        li r17, 1024
        dcfg.dout src, r17, r0, r0
        li r17, 4096
        dcfg.dout dst, r17, r0, r0
        # DMA-in: A and B rows are 2048 B apart in DRAM.
        li r17, 2048
        dcfg.din src, r17, r0, r0
        signal mxu, din, 0
        signal mxu, din, 0
        signal dout, mxu, 1
        signal dout, mxu, 1
        li r11, 0               # accumulator buffer
        li r12, 0               # ibuf buffer
        li r13, 0               # wbuf buffer
rows:   li r2, 0                # j
cols:   wait dout, mxu, 1
        li r3, 0                # k
ks:     wait mxu, din, 0
        mul r17, r1, r6         # A + (i * K + k) * 2
        add r17, r17, r3
        shl r17, r17, 1
        dcfg.din shape, r25, r25, r19
        dcfg.din dst, r26, r0, r0
        dload.bf16.bf16 ibuf[r12], dram[r17]
        mul r17, r3, r5         # B + (k * N + j) * 2
        add r17, r17, r2
        shl r17, r17, 1
        add r17, r17, r15
        dcfg.din shape, r26, r25, r19
        dcfg.din dst, r28, r0, r0
        dload.bf16.bf16 wbuf[r13], dram[r17]
        signal din, mxu, 0
        wait din, mxu, 0
        beq r3, r0, first
        mma.bf16.acc acc[r11], ibuf[r12], wbuf[r13]
        beq r0, r0, issued
first:  mma.bf16 acc[r11], ibuf[r12], wbuf[r13]
issued: signal mxu, din, 0
        xor r12, r12, r29
        xor r13, r13, r30
        add r3, r3, 128
        blt r3, r6, ks
        signal mxu, dout, 0
        wait mxu, dout, 0
        mul r17, r1, r5         # C + (i * N + j) * 4
        add r17, r17, r2
        shl r17, r17, 2
        add r17, r17, r16
        dstore.f32.f32 dram[r17], acc[r11]
        signal dout, mxu, 1
        xor r11, r11, r31
        add r2, r2, 256
        blt r2, r5, cols
        add r1, r1, 128
        blt r1, r24, rows
        end
