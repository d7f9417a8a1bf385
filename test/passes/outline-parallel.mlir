// Tests that attune-outline-parallel turns a task loop (scf.parallel {attune.tasks}) into a
// private function over a task range (values from above as arguments, constants cloned,
// fixed-size scratch hoisted out of the task loop) and a call over the whole range; other
// scf.parallel loops are left alone, and a task loop it cannot outline (two dims, heap
// allocations in its body) is an error.
// RUN: attune-opt %s --split-input-file --verify-diagnostics --attune-outline-parallel | FileCheck %s

// CHECK-LABEL: func.func @scale_rows
// CHECK-SAME: (%[[IN:.+]]: memref<?x8xf32>, %[[OUT:.+]]: memref<?x8xf32>, %[[F:.+]]: f32)
// CHECK: %[[N:.+]] = memref.dim %[[IN]]
// CHECK-NEXT: call @scale_rows_tasks0(%c0, %[[N]], %[[IN]], %[[F]], %[[OUT]]) : (index, index, memref<?x8xf32>, f32, memref<?x8xf32>) -> ()
// CHECK-NOT: scf.parallel {{.*}} {attune.tasks}
// CHECK: scf.parallel
// CHECK: return
// CHECK: func.func private @scale_rows_tasks0(%[[BEGIN:.+]]: index, %[[END:.+]]: index, %[[A:.+]]: memref<?x8xf32>, %[[B:.+]]: f32, %[[C:.+]]: memref<?x8xf32>) attributes {attune.parallel_tasks}
// CHECK: %[[SCRATCH:.+]] = memref.alloca() : memref<8xf32>
// CHECK: scf.for %[[T:.+]] = %[[BEGIN]] to %[[END]] step %c1{{.*}} {
// CHECK-NOT: memref.alloca
// CHECK: memref.load %[[A]][%[[T]], %{{.*}}]
// CHECK: arith.mulf %{{.*}}, %[[B]]
// CHECK: memref.store %{{.*}}, %[[SCRATCH]]
// CHECK: memref.store %{{.*}}, %[[C]][%[[T]], %{{.*}}]
func.func @scale_rows(%in: memref<?x8xf32>, %out: memref<?x8xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?x8xf32>
  scf.parallel (%t) = (%c0) to (%n) step (%c1) {
    %scratch = memref.alloca() : memref<8xf32>
    scf.for %i = %c0 to %c8 step %c1 {
      %x = memref.load %in[%t, %i] : memref<?x8xf32>
      %y = arith.mulf %x, %f : f32
      memref.store %y, %scratch[%i] : memref<8xf32>
    }
    scf.for %i = %c0 to %c8 step %c1 {
      %y = memref.load %scratch[%i] : memref<8xf32>
      memref.store %y, %out[%t, %i] : memref<?x8xf32>
    }
    scf.reduce
  } {attune.tasks}
  // Not a task loop: stays.
  scf.parallel (%t) = (%c0) to (%n) step (%c1) {
    memref.store %f, %out[%t, %c0] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// -----

func.func @two_dimensional(%out: memref<?x?xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %out, %c0 : memref<?x?xf32>
  // expected-error @below {{attune.tasks needs a one-dimensional scf.parallel with step 1 and no reductions}}
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
    memref.store %f, %out[%i, %j] : memref<?x?xf32>
    scf.reduce
  } {attune.tasks}
  return
}

// -----

func.func @heap_scratch(%out: memref<?xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %out, %c0 : memref<?xf32>
  // expected-error @below {{attune.tasks body allocates on the heap; task scratch must be memref.alloca}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %scratch = memref.alloc() : memref<4xf32>
    memref.store %f, %scratch[%c0] : memref<4xf32>
    memref.dealloc %scratch : memref<4xf32>
    scf.reduce
  } {attune.tasks}
  return
}
