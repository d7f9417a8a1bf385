# The seed corpus of each fuzzer: globs of the repository's own files of the kind it reads
# (relative to the source root), so fuzzing starts from valid inputs and mutates them.
set(ATTUNE_FUZZ_SEEDS_safetensors test/fuzz/seeds/safetensors/*)
set(ATTUNE_FUZZ_SEEDS_shardindex test/fuzz/seeds/shardindex/*)
set(ATTUNE_FUZZ_SEEDS_json test/fuzz/seeds/safetensors/* models/*/config.json
    models/*/generation_config.json)
set(ATTUNE_FUZZ_SEEDS_manifest test/fuzz/seeds/manifest/*)
set(ATTUNE_FUZZ_SEEDS_parser models/*.tfm test/frontend/*.tfm test/frontend/errors/*.tfm
    test/e2e/Inputs/*.tfm)
set(ATTUNE_FUZZ_SEEDS_elaborator ${ATTUNE_FUZZ_SEEDS_parser})
set(ATTUNE_FUZZ_SEEDS_tokenizer test/fuzz/seeds/tokenizer/*)
