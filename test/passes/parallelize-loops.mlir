// Tests that attune-parallelize-loops turns a linalg op on buffers at the top level of a
// function into a task loop (scf.parallel {attune.tasks}) over its leading parallel loops, the
// innermost loop kept whole: each task runs the op on subviews of one index of the outer split
// loops and a run of indices of the last one, linalg.index shifted by the task's offsets. Ops
// known to be smaller than a task, ops whose leading loop is a reduction, and ops whose output
// is not indexed by the loop that would be split stay as they are.
// RUN: attune-opt %s --split-input-file --attune-parallelize-loops | FileCheck %s
// RUN: attune-opt %s --split-input-file --attune-parallelize-loops=task-size=1024 | FileCheck %s --check-prefix=SMALL

// A dynamic 3-D elementwise op splits its two outer loops: tasks = D0 * ceil(D1 / chunk) with
// chunk = max(1, 16384 / D2); a task covers [1, min(chunk, D1 - start), D2].
// CHECK-LABEL: func.func @silu_mul
// CHECK-SAME: (%[[A:.+]]: memref<?x?x?xf32>, %[[B:.+]]: memref<?x?x?xf32>, %[[OUT:.+]]: memref<?x?x?xf32>)
// CHECK-DAG: %[[D0:.+]] = memref.dim %[[A]], %c0
// CHECK-DAG: %[[D1:.+]] = memref.dim %[[A]], %c1
// CHECK-DAG: %[[D2:.+]] = memref.dim %[[A]], %c2
// CHECK: %[[INNER:.+]] = arith.muli %{{.*}}, %[[D2]]
// CHECK: %[[C16384:.+]] = arith.constant 16384 : index
// CHECK: %[[CLAMPED:.+]] = arith.maxui %[[INNER]]
// CHECK: %[[DIV:.+]] = arith.divui %[[C16384]], %[[CLAMPED]]
// CHECK: %[[CHUNK:.+]] = arith.maxui %{{.*}}, %[[DIV]]
// CHECK: %[[SUM:.+]] = arith.addi %[[D1]], %[[CHUNK]]
// CHECK: %[[ROUNDED:.+]] = arith.subi %[[SUM]]
// CHECK: %[[PER:.+]] = arith.divui %[[ROUNDED]], %[[CHUNK]]
// CHECK: %[[TASKS:.+]] = arith.muli %[[PER]], %[[D0]]
// CHECK: scf.parallel (%[[T:.+]]) = (%{{.*}}) to (%[[TASKS]])
// CHECK: %[[ROW:.+]] = arith.divui %[[T]], %[[PER]]
// CHECK: %[[REM:.+]] = arith.remui %[[T]], %[[PER]]
// CHECK: %[[START:.+]] = arith.muli %[[REM]], %[[CHUNK]]
// CHECK: %[[LEFT:.+]] = arith.subi %[[D1]], %[[START]]
// CHECK: %[[SIZE:.+]] = arith.minui %[[CHUNK]], %[[LEFT]]
// CHECK: memref.subview %[[A]][%[[ROW]], %[[START]], 0] [1, %[[SIZE]], %{{.*}}] [1, 1, 1]
// CHECK: memref.subview %[[B]][%[[ROW]], %[[START]], 0] [1, %[[SIZE]], %{{.*}}] [1, 1, 1]
// CHECK: %[[OUTPART:.+]] = memref.subview %[[OUT]][%[[ROW]], %[[START]], 0] [1, %[[SIZE]], %{{.*}}] [1, 1, 1]
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[OUTPART]] :
// CHECK: arith.mulf
// CHECK: } {attune.tasks}
// CHECK-NOT: linalg.generic
// CHECK: return
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @silu_mul(%a: memref<?x?x?xf32>, %b: memref<?x?x?xf32>, %out: memref<?x?x?xf32>) {
  linalg.generic {indexing_maps = [#id3, #id3, #id3],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %b : memref<?x?x?xf32>, memref<?x?x?xf32>) outs(%out : memref<?x?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// A token + position embedding that reads linalg.index of a split loop: the tiled op's index
// is shifted by the task's offset, so each task reads the positions of the rows it writes.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[IDS:.+]]: memref<?x?xindex>, %[[TABLE:.+]]: memref<32000x64xf32>, %[[POS:.+]]: memref<2048x64xf32>
// CHECK: scf.parallel (%[[T:.+]]) =
// CHECK: %[[ROW:.+]] = arith.divui %[[T]]
// CHECK: %[[START:.+]] = arith.muli
// CHECK: memref.subview %[[IDS]][%[[ROW]], %[[START]]]
// CHECK: linalg.generic
// CHECK: ^bb0(%[[ID:.+]]: index,
// CHECK: %[[I1:.+]] = linalg.index 1 : index
// CHECK: %[[S:.+]] = affine.apply #{{.+}}(%[[I1]], %[[START]])
// CHECK: %[[I2:.+]] = linalg.index 2 : index
// CHECK: memref.load %[[TABLE]][%[[ID]], %[[I2]]]
// CHECK: memref.load %[[POS]][%[[S]], %[[I2]]]
// CHECK: } {attune.tasks}
#ids = affine_map<(d0, d1, d2) -> (d0, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @embedding(%ids: memref<?x?xindex>, %table: memref<32000x64xf32>,
                     %pos: memref<2048x64xf32>, %out: memref<?x?x64xf32>) {
  linalg.generic {indexing_maps = [#ids, #out],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ids : memref<?x?xindex>) outs(%out : memref<?x?x64xf32>) {
  ^bb0(%id: index, %o: f32):
    %s = linalg.index 1 : index
    %e = linalg.index 2 : index
    %t = memref.load %table[%id, %e] : memref<32000x64xf32>
    %p = memref.load %pos[%s, %e] : memref<2048x64xf32>
    %v = arith.addf %t, %p : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A static transpose larger than a task splits its outer loop: 512 rows of 256 in chunks of 64.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.parallel
// CHECK: memref.subview %{{.+}}[0, %{{.+}}] [256, %{{.+}}] [1, 1]
// CHECK: memref.subview %{{.+}}[%{{.+}}, 0] [%{{.+}}, 256] [1, 1]
// CHECK: linalg.transpose
// CHECK: } {attune.tasks}
func.func @transpose(%in: memref<256x512xf32>, %out: memref<512x256xf32>) {
  linalg.transpose ins(%in : memref<256x512xf32>) outs(%out : memref<512x256xf32>) permutation = [1, 0]
  return
}

// -----

// Fewer iterations than one task: the op stays, and no task loop is made. With tasks of 1024
// iterations, it splits into 128 rows of 64 in chunks of 16.
// SMALL-LABEL: func.func @small
// SMALL: arith.constant 1024 : index
// SMALL: scf.parallel
// SMALL: memref.subview %{{.+}}[%{{.+}}, 0] [%{{.+}}, 64] [1, 1]
// SMALL: linalg.transpose
// SMALL: } {attune.tasks}
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: linalg.transpose
// CHECK-NOT: scf.parallel
func.func @small(%in: memref<64x128xf32>, %out: memref<128x64xf32>) {
  linalg.transpose ins(%in : memref<64x128xf32>) outs(%out : memref<128x64xf32>) permutation = [1, 0]
  return
}

// -----

// A leading reduction loop: no parallel loop to split, the op stays.
// CHECK-LABEL: func.func @column_sums
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-NOT: scf.parallel
#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
func.func @column_sums(%in: memref<?x?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%in : memref<?x?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The second output is not indexed by the leading loop: tasks that split it would write the
// same elements, so the op stays.
// CHECK-LABEL: func.func @shared_output
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-NOT: scf.parallel
#all = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>
func.func @shared_output(%in: memref<?x?xf32>, %out: memref<?x?xf32>, %shared: memref<?xf32>) {
  linalg.generic {indexing_maps = [#all, #all, #last], iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<?x?xf32>) outs(%out, %shared : memref<?x?xf32>, memref<?xf32>) {
  ^bb0(%x: f32, %o: f32, %s: f32):
    linalg.yield %x, %x : f32, f32
  }
  return
}

// -----

// Ops inside loops are not at the top level of the function and are left to the kernel that
// holds them.
// CHECK-LABEL: func.func @nested
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK: linalg.transpose
func.func @nested(%in: memref<256x512xf32>, %out: memref<512x256xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    linalg.transpose ins(%in : memref<256x512xf32>) outs(%out : memref<512x256xf32>) permutation = [1, 0]
  }
  return
}
