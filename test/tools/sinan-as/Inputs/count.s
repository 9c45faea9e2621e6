# Counts r1 down from 3, handing a token from DMA-in to the matrix unit.
        li r1, 3
loop:   sub r1, r1, 1
        signal din, mxu, 0
        wait din, mxu, 0
        bne r1, r0, loop
        end
