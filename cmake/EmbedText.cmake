# Writes the file INPUT as a C++ raw string literal to OUTPUT (for #include into a .cpp).
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "R\"attune_embed(${content})attune_embed\"")
