# lit configuration for attune: FileCheck tests over the compiler's tools, mirroring the source
# tree (test/ir, test/passes, test/frontend, test/e2e).
import os
import lit.formats

config.name = "attune"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".tfm", ".test"]
config.excludes = ["Inputs", "fuzz", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attune_binary_dir, "test")

# Captures must not leak across CHECK-LABELs.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
config.environment["PATH"] = os.pathsep.join(
    [config.attune_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])

# What this machine's CPU runs: tests of kernels only some CPUs have (AVX512_BF16's bf16 dot
# product) require it; their IR and assembly are checked on every machine.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = set(cpuinfo.read().split())
except OSError:
    flags = set()
if "avx512_bf16" in flags:
    config.available_features.add("avx512bf16")

config.substitutions.append(("%models", os.path.join(config.attune_source_dir, "models")))
config.substitutions.append(("%testdata", os.path.join(config.attune_source_dir, "test", "data")))
config.substitutions.append(("%runtime_include",
                             os.path.join(config.attune_source_dir, "runtime", "include")))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%python", config.python_executable))
# numpy comes from Debian (python3-numpy), for the system interpreter.
config.substitutions.append(("%numpy", "/usr/bin/python3"))
