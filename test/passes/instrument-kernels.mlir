// Tests that attune-instrument-kernels numbers the kernels at the top level of entry functions
// (calls, linalg ops, copies, region ops that write memory; not allocations, views or
// deallocations) into the module's attune.kernels table, takes a kernel's name, fused ops and
// FLOPs from the attune.kernel_cost before it, describes the others from their structure,
// brackets each with the runtime's hooks (bytes: the sizes of the buffers it touches), and
// with hooks=false only fills the table. Kernel descriptions elsewhere are dropped.
// RUN: attune-opt %s -attune-instrument-kernels -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attune-opt %s -attune-instrument-kernels=hooks=false -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=TABLE

// CHECK: module attributes {attune.kernels = [
// CHECK-SAME: {fused = ["bias"], location = "{{.+}}instrument-kernels.mlir{{.+}}", name = "matmul k8 n4"},
// CHECK-SAME: {fused = [], location = {{.*}}, name = "elementwise"},
// CHECK-SAME: {fused = [], location = {{.*}}, name = "copy"}]}
// CHECK: func.func private @attune_kernel_stop(i64, i64, i64, i64)
// CHECK: func.func private @attune_kernel_start() -> i64
// CHECK-LABEL: func @forward
// CHECK-SAME: (%[[X:.+]]: memref<?x8xf32>, %[[W:.+]]: memref<1x8x4xf32>, %[[B:.+]]: memref<4xf32>, %[[Y:.+]]: memref<?x4xf32>)
// CHECK: %[[ROWS:.+]] = memref.dim %[[X]], %c0
// CHECK: %[[FLOPS:.+]] = arith.muli %[[ROWS]], %c64
// CHECK-NOT: attune.kernel_cost
// CHECK: %[[TMP:.+]] = memref.alloc(%[[ROWS]])
// CHECK-NEXT: %[[T0:.+]] = call @attune_kernel_start() : () -> i64
// CHECK-NEXT: call @kernel(%[[X]], %[[W]], %[[TMP]], %[[B]])
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK-NEXT: %[[ON:.+]] = arith.cmpi ne, %[[T0]], %[[ZERO]]
// CHECK-NEXT: scf.if %[[ON]] {
// Bytes: x (32 × rows) + w (128), + tmp (16 × rows) + b (16).
// CHECK: %[[XROWS:.+]] = memref.dim %[[X]], %c0
// CHECK-NEXT: %[[XB:.+]] = arith.muli %c32, %[[XROWS]]
// CHECK-NEXT: %c128 = arith.constant 128
// CHECK-NEXT: %[[S1:.+]] = arith.addi %[[XB]], %c128
// CHECK: %[[TROWS:.+]] = memref.dim %[[TMP]], %c0
// CHECK-NEXT: %[[TB:.+]] = arith.muli %c16, %[[TROWS]]
// CHECK-NEXT: %[[S2:.+]] = arith.addi %[[S1]], %[[TB]]
// CHECK: %[[BYTES:.+]] = arith.addi %[[S2]], %c16
// CHECK-NEXT: %[[ID:.+]] = arith.constant 0 : i64
// CHECK-NEXT: %[[F:.+]] = arith.index_cast %[[FLOPS]] : index to i64
// CHECK-NEXT: %[[B64:.+]] = arith.index_cast %[[BYTES]] : index to i64
// CHECK-NEXT: call @attune_kernel_stop(%[[T0]], %[[ID]], %[[F]], %[[B64]])
// CHECK: call @attune_kernel_start()
// CHECK-NEXT: linalg.generic
// CHECK: scf.if
// The generic's FLOPs: one float op per iteration, rows × 4 of them.
// CHECK: %[[GF:.+]] = arith.muli %c1, %[[ROWS]]
// CHECK: arith.muli %[[GF]], %c4
// CHECK: %[[ID1:.+]] = arith.constant 1 : i64
// CHECK: call @attune_kernel_stop(%{{.+}}, %[[ID1]],
// CHECK: call @attune_kernel_start()
// CHECK-NEXT: memref.copy %[[TMP]], %[[Y]]
// CHECK: %[[ID2:.+]] = arith.constant 2 : i64
// CHECK: call @attune_kernel_stop(%{{.+}}, %[[ID2]],
// CHECK-NOT: attune_kernel_st
// CHECK: memref.dealloc %[[TMP]]
// CHECK-NEXT: return
// CHECK-LABEL: func private @kernel
// CHECK-NOT: attune.kernel_cost
// CHECK-NOT: attune_kernel_start

// TABLE: module attributes {attune.kernels = [{fused = ["bias"], {{.*}} name = "matmul k8 n4"}, {{.*}}name = "elementwise"}, {{.*}}name = "copy"}]}
// TABLE-NOT: attune_kernel_st
// TABLE-NOT: attune.kernel_cost
#map = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @forward(%x: memref<?x8xf32>, %w: memref<1x8x4xf32>, %b: memref<4xf32>,
                     %y: memref<?x4xf32>) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %c64 = arith.constant 64 : index
    %rows = memref.dim %x, %c0 : memref<?x8xf32>
    %flops = arith.muli %rows, %c64 : index
    attune.kernel_cost "matmul k8 n4" ["bias"] flops(%flops)
    %tmp = memref.alloc(%rows) : memref<?x4xf32>
    call @kernel(%x, %w, %tmp, %b) : (memref<?x8xf32>, memref<1x8x4xf32>, memref<?x4xf32>, memref<4xf32>) -> ()
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel"]}
        outs(%tmp : memref<?x4xf32>) {
    ^bb0(%out: f32):
      %r = arith.mulf %out, %out : f32
      linalg.yield %r : f32
    }
    memref.copy %tmp, %y : memref<?x4xf32> to memref<?x4xf32>
    memref.dealloc %tmp : memref<?x4xf32>
    return
  }
  func.func private @kernel(%x: memref<?x8xf32>, %w: memref<1x8x4xf32>, %y: memref<?x4xf32>,
                            %b: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    attune.kernel_cost "inner" [] flops(%c0)
    return
  }
}

// -----

// A kernel table of a module with no entry is empty; a region op that only frees memory is
// no kernel.
// CHECK: module attributes {attune.kernels = []}
// TABLE: module attributes {attune.kernels = []}
module {
  func.func @helper(%m: memref<4xf32>, %free: i1) {
    scf.if %free {
      memref.dealloc %m : memref<4xf32>
    }
    return
  }
}

// -----

module {
  func.func @forward(%m: memref<4xf32>) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    // expected-error @+1 {{attune.kernel_cost names no kernel: nothing in its block computes after it}}
    attune.kernel_cost "orphan" [] flops(%c0)
    %v = memref.load %m[%c0] : memref<4xf32>
    return
  }
}

// -----

module {
  func.func @forward(%m: memref<4xf32>) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    // expected-error @+1 {{attune.kernel_cost is followed by another before its kernel}}
    attune.kernel_cost "first" [] flops(%c0)
    attune.kernel_cost "second" [] flops(%c0)
    memref.copy %m, %m : memref<4xf32> to memref<4xf32>
    return
  }
}

// -----

// A kernel_cost that gives the bytes (a cache write: its new rows, not the whole cache) is
// what the hook gets, rather than the sizes of the buffers the kernel touches.
// CHECK-LABEL: func @given_bytes
// CHECK-SAME: (%{{.+}}: memref<?x4xf32>, %{{.+}}: memref<?x4xf32>, %[[MOVED:.+]]: index)
// CHECK: scf.if
// CHECK-NOT: memref.dim
// CHECK: %[[B64:.+]] = arith.index_cast %[[MOVED]] : index to i64
// CHECK-NEXT: call @attune_kernel_stop(%{{.+}}, %{{.+}}, %{{.+}}, %[[B64]])
module {
  func.func @given_bytes(%cache: memref<?x4xf32>, %new: memref<?x4xf32>, %moved: index)
      attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    attune.kernel_cost "cache write" [] flops(%c0) bytes(%moved)
    memref.copy %new, %cache : memref<?x4xf32> to memref<?x4xf32>
    return
  }
}
