# Layer normalization of 8 rows x 64 f32 (DRAM 0) with gamma (DRAM 2048) and
# beta (DRAM 2304), epsilon 1e-5, into DRAM 4096:
#   y = (x - mean) * rsqrt(mean((x - mean)^2) + eps) * gamma + beta
        li r1, 64
        li r2, 8
        li r3, 1
        li r4, 256              # row pitch
        li r5, 4                # pitch of per-row scalars
        dcfg.din shape, r1, r2, r3
        dcfg.din src, r4, r0, r0
        dcfg.din dst, r4, r0, r0
        dload.f32.f32 vbuf[r0], dram[r0]
        li r11, 2
        dcfg.din shape, r1, r11, r3
        li r12, 2048
        dload.f32.f32 vbuf[r12], dram[r12]    # gamma at 2048, beta at 2304
        signal din, vec, 0
        wait din, vec, 0
        vcfg len, r1, r2
        li r6, 3072             # per-row mean, then variance, then rstd
        vcfg stride, r5, r4, r0
        vred.sum.f32 vbuf[r6], vbuf[r0]
        vcfg len, r2, r3
        vscal.mul.f32 vbuf[r6], vbuf[r6], 0.015625
        vcfg len, r1, r2
        li r7, 4096             # centred x
        vcfg stride, r4, r4, r5
        vbin.sub.f32.bcast vbuf[r7], vbuf[r0], vbuf[r6]
        li r8, 6144             # squares
        vcfg stride, r4, r4, r4
        vbin.mul.f32 vbuf[r8], vbuf[r7], vbuf[r7]
        vcfg stride, r5, r4, r0
        vred.sum.f32 vbuf[r6], vbuf[r8]
        vcfg len, r2, r3
        vscal.mul.f32 vbuf[r6], vbuf[r6], 0.015625
        vscal.add.f32 vbuf[r6], vbuf[r6], 9.99999975e-06
        vun.rsqrt.f32 vbuf[r6], vbuf[r6]
        vcfg len, r1, r2
        vcfg stride, r4, r4, r5
        vbin.mul.f32.bcast vbuf[r7], vbuf[r7], vbuf[r6]
        vcfg stride, r4, r4, r0  # gamma and beta rows repeat (stride 0)
        vbin.mul.f32 vbuf[r7], vbuf[r7], vbuf[r12]
        vbin.add.f32 vbuf[r7], vbuf[r7], vbuf[r12+256]
        signal vec, dout, 0
        dcfg.dout shape, r1, r2, r3
        dcfg.dout src, r4, r0, r0
        dcfg.dout dst, r4, r0, r0
        wait vec, dout, 0
        li r10, 4096
        dstore.f32.f32 dram[r10], vbuf[r7]
        end
