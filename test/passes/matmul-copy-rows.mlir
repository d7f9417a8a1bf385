// Tests that attune-lower-matmul copies a register tile's rows of A into a scratch tile where,
// read in place, they would share L1 sets: rows K = 1024 f32s (4 KiB) apart all fall in one
// set of a 4-KiB-way L1, more than its 8 ways for a 12-row AVX-512 tile. The copy covers one K
// block (rounded to whole vectors: 352 here), its rows 368 f32s (23 lines, an odd count) apart;
// each copied vector prefetches the next tile's (12 rows down), and the tile's broadcasts read
// the copy, in tasks of at least 3 panels (else A in place). Rows that spread over the sets (K = 1000), tiles of 6 rows (AVX2: 6 of 8 ways) and
// copy-rows=false read A in place.
// RUN: attune-opt %s -split-input-file --attune-lower-matmul | FileCheck %s
// RUN: attune-opt %s -split-input-file --attune-lower-matmul=copy-rows=false | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: func.func private @attune_matmul_k1024_n64(
// CHECK-SAME: %[[A:[^:]+]]: memref<?x1024xf32>
// CHECK: scf.parallel
// CHECK: %[[COPY:.+]] = memref.alloca() {alignment = 64 : i64} : memref<12x368xf32>
// CHECK: %[[PAYS:.+]] = arith.cmpi uge, %{{.+}}, %c3 : index
// CHECK: scf.for %[[K0:.+]] = %{{.+}} to %{{.+}} step %c352
// CHECK: scf.for %[[ROW:.+]] = %{{.+}} to %{{.+}} step %c12
// CHECK: scf.if %[[PAYS]] {
// CHECK: scf.for %[[R:.+]] = %{{.+}} to %c12
// CHECK: %[[SOURCE:.+]] = arith.addi %[[ROW]], %[[R]]
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c16
// CHECK: %[[AT:.+]] = arith.addi %[[K0]], %[[K]]
// CHECK: %[[V:.+]] = vector.load %[[A]][%[[SOURCE]], %[[AT]]] {attune.prefetch = [12, 0]}
// CHECK: vector.store %[[V]], %[[COPY]][%[[R]], %[[K]]] : memref<12x368xf32>, vector<16xf32>
// CHECK: memref.load %[[COPY]][
// CHECK: vector.fma
// A task with fewer than 3 panels to share the copy reads A in place.
// CHECK: } else {
// CHECK: memref.load %[[A]][
// CHECK: vector.fma
// The remainder tiles (fewer rows) read A in place.
// CHECK: memref.load %[[A]][
// CHECK: vector.fma
// OFF-LABEL: func.func private @attune_matmul_k1024_n64(
// OFF-NOT: memref.alloca() {{.*}} : memref<12x
// OFF: memref.load %{{.+}}[
// OFF-NOT: memref.alloca() {{.*}} : memref<12x
module attributes {attune.target = {cpu = "znver4", lanes = 16 : i64, registers = 32 : i64, l1 = 32768 : i64}} {
func.func @aliased(%x: tensor<?x1024xf32>, %w: tensor<2x1024x32xf32>) -> tensor<?x64xf32> {
  %y = attune.packed_matmul %x, %w {columns = 64 : i64} : tensor<?x1024xf32>, tensor<2x1024x32xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
}

// -----

// Rows 4000 bytes apart fall in different sets: no copy.
// CHECK-LABEL: func.func private @attune_matmul_k1000_n64(
// CHECK-NOT: memref.alloca() {{.*}} : memref<12x
// CHECK: vector.fma
// CHECK-NOT: memref.alloca() {{.*}} : memref<12x
module attributes {attune.target = {cpu = "znver4", lanes = 16 : i64, registers = 32 : i64, l1 = 32768 : i64}} {
func.func @spread(%x: tensor<?x1000xf32>, %w: tensor<2x1000x32xf32>) -> tensor<?x64xf32> {
  %y = attune.packed_matmul %x, %w {columns = 64 : i64} : tensor<?x1000xf32>, tensor<2x1000x32xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
}

// -----

// AVX2's 6-row tiles: six rows in one set fit its 8 ways: no copy.
// CHECK-LABEL: func.func private @attune_matmul_k1024_n32(
// CHECK-NOT: memref.alloca() {{.*}} : memref<6x
// CHECK: vector.fma
// CHECK-NOT: memref.alloca() {{.*}} : memref<6x
module attributes {attune.target = {cpu = "znver3", lanes = 8 : i64, registers = 16 : i64, l1 = 32768 : i64}} {
func.func @six_rows(%x: tensor<?x1024xf32>, %w: tensor<2x1024x16xf32>) -> tensor<?x32xf32> {
  %y = attune.packed_matmul %x, %w {columns = 32 : i64} : tensor<?x1024xf32>, tensor<2x1024x16xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
}
