# Copies 64 bytes from DRAM 0 to DRAM 1024 through vbuf.
        li r1, 64
        li r3, 1
        li r2, 1024
        dcfg.din shape, r1, r3, r3
        dload.i8.i8 vbuf[r0], dram[r0]
        signal din, dout, 0
        dcfg.dout shape, r1, r3, r3
        wait din, dout, 0
        dstore.i8.i8 dram[r2], vbuf[r0]
        end
