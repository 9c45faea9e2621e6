li r1, 1
add r1, r1, r40
