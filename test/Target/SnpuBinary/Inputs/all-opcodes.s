# Every opcode once, a backward loop and a forward branch: the encoder and
# decoder must agree on all of it.
  li r1, 4
loop:
  nop
  add r2, r2, 1
  add r3, r2, r1
  blt r2, r1, loop
  beq r0, r0, skip
  barrier
skip:
  signal din, mxu, 0
  wait din, mxu, 0
  csignal 0, 1
  cwait 1
  dcfg.din shape, r1, r1, r1
  dcfg.dout outer, r1, r1
  dload.f32.bf16 ibuf[r0], dram[r1+64]
  dstore.f32.bf16.relu dram[r1+128], acc[r0]
  dmove.bf16 wbuf[r0+64], ibuf[r0]
  dfill.i8 vbuf[r0+32], 0x7f
  mcfg 16, 32, 48
  mma.bf16.acc acc[r3], ibuf[r1+64], wbuf[r2+128]
  vcfg len, r1, r2
  vcfg stride, r1, r2, r3
  vbin.add.f32.bcast vbuf[r3], vbuf[r1], acc[r2+64]
  vun.exp.f32 vbuf[r3], vbuf[r1]
  vscal.mul.f32 vbuf[r3], vbuf[r1], 0.5
  vfma.bf16 vbuf[r3], vbuf[r1], vbuf[r2]
  vred.sum.f32 vbuf[r3], acc[r1]
  vcvt.f32.bf16 vbuf[r3], vbuf[r1]
  vcmp.lt.i32 vbuf[r3], vbuf[r1], vbuf[r2]
  vsel.f32 vbuf[r3], vbuf[r1], vbuf[r2]
  vtrans.bf16 vbuf[r3], vbuf[r1]
  vreq vbuf[r3], acc[r1], vbuf[r2], -5
  end
