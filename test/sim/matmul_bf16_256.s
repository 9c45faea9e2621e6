# C[256 x 256] (f32) = A[256 x 256] (bf16) x B[256 x 256] (bf16) on one core,
# in 64 x 64 x 64 blocks. DRAM, row-major: A at 0, B at 131072, C at 262144.
#
# Semaphores:  mxu -> din 0:  an ibuf/wbuf buffer is free (r20 tokens at start)
#              din -> mxu 0:  a block of A and of B is loaded
#              mxu -> dout 0: an accumulator buffer holds a finished C block
#              dout -> mxu 1: an accumulator buffer may be overwritten
# With r20 = 2 every buffer is doubled: DMA-in fills one input buffer while
# the matrix unit works on the other, and the matrix unit starts the next C
# block while DMA-out drains the previous one. With r20 = 1 the engines take
# turns on single buffers.
        li r20, 2               # buffers: 2 = double buffering, 1 = single
        li r4, 256              # M
        li r5, 256              # N
        li r6, 256              # K
        li r14, 0               # A
        li r15, 131072          # B
        li r16, 262144          # C
        sub r21, r20, 1
        li r12, 8192            # one ibuf/wbuf buffer: 64 rows x 128 B
        mul r22, r21, r12       # input buffer toggle: 8192 or 0
        li r12, 16384           # one accumulator buffer: 64 rows x 256 B
        mul r23, r21, r12       # accumulator toggle: 16384 or 0
        mcfg 64, 64, 64
        # DMA-out moves a 64 x 64 f32 block: acc pitch 256 B, C pitch 1024 B.
        li r17, 64
        li r18, 1
        dcfg.dout shape, r17, r17, r18
        li r17, 256
        dcfg.dout src, r17, r0, r0
        li r17, 1024
        dcfg.dout dst, r17, r0, r0
        # DMA-in moves 64 x 64 bf16 blocks into rows of 128 B; A and B rows
        # are 512 B in DRAM.
        li r17, 64
        dcfg.din shape, r17, r17, r18
        li r17, 128
        dcfg.din dst, r17, r0, r0
        li r17, 512
        dcfg.din src, r17, r0, r0
        li r17, 0
tokens: signal mxu, din, 0
        signal dout, mxu, 1
        add r17, r17, 1
        blt r17, r20, tokens
        li r10, 0               # input buffer offset (ibuf and wbuf)
        li r11, 0               # accumulator buffer offset
        li r1, 0                # i
rows:   li r2, 0                # j
cols:   wait dout, mxu, 1
        li r3, 0                # k
ks:     wait mxu, din, 0
        mul r17, r1, r6         # A + (i * K + k) * 2
        add r17, r17, r3
        shl r17, r17, 1
        add r17, r17, r14
        dload.bf16.bf16 ibuf[r10], dram[r17]
        mul r17, r3, r5         # B + (k * N + j) * 2
        add r17, r17, r2
        shl r17, r17, 1
        add r17, r17, r15
        dload.bf16.bf16 wbuf[r10], dram[r17]
        signal din, mxu, 0
        wait din, mxu, 0
        beq r3, r0, first
        mma.bf16.acc acc[r11], ibuf[r10], wbuf[r10]
        beq r0, r0, issued
first:  mma.bf16 acc[r11], ibuf[r10], wbuf[r10]
issued: signal mxu, din, 0
        xor r10, r10, r22
        add r3, r3, 64
        blt r3, r6, ks
        signal mxu, dout, 0
        wait mxu, dout, 0
        mul r17, r1, r5         # C + (i * N + j) * 4
        add r17, r17, r2
        shl r17, r17, 2
        add r17, r17, r16
        dstore.f32.f32 dram[r17], acc[r11]
        signal dout, mxu, 1
        xor r11, r11, r23
        add r2, r2, 64
        blt r2, r5, cols
        add r1, r1, 64
        blt r1, r4, rows
        end
