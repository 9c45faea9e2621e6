# Row-wise softmax of 8 rows x 64 f32 (DRAM 0, rows 256 B apart) into DRAM
# 4096, entirely on the device: max, subtract (broadcast), exp, sum,
# reciprocal, scale (broadcast).
        li r1, 64
        li r2, 8
        li r3, 1
        li r4, 256              # row pitch
        li r5, 4                # pitch of per-row scalars
        dcfg.din shape, r1, r2, r3
        dcfg.din src, r4, r0, r0
        dcfg.din dst, r4, r0, r0
        dload.f32.f32 vbuf[r0], dram[r0]
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r1, r2
        li r6, 2048             # row maxima
        vcfg stride, r5, r4, r0
        vred.max.f32 vbuf[r6], vbuf[r0]
        li r7, 4096             # e = exp(x - max)
        vcfg stride, r4, r4, r5
        vbin.sub.f32.bcast vbuf[r7], vbuf[r0], vbuf[r6]
        vcfg stride, r4, r4, r0
        vun.exp.f32 vbuf[r7], vbuf[r7]
        li r8, 2304             # row sums, then their reciprocals
        vcfg stride, r5, r4, r0
        vred.sum.f32 vbuf[r8], vbuf[r7]
        li r9, 8
        vcfg len, r9, r3
        vun.recip.f32 vbuf[r8], vbuf[r8]
        vcfg len, r1, r2
        vcfg stride, r4, r4, r5
        vbin.mul.f32.bcast vbuf[r7], vbuf[r7], vbuf[r8]
        signal vec, dout, 0
        dcfg.dout shape, r1, r2, r3
        dcfg.dout src, r4, r0, r0
        dcfg.dout dst, r4, r0, r0
        wait vec, dout, 0
        li r10, 4096
        dstore.f32.f32 dram[r10], vbuf[r7]
        end
