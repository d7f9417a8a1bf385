// Tests that attune-lower-entry rewrites entry functions into the buffer ABI: inputs, then
// distinct weights in order of first use, then outputs, each named and given a role.
// RUN: attune-opt %s -split-input-file -attune-lower-entry -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @forward
// CHECK-SAME: (%[[IDS:.+]]: memref<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "input_ids", attune.role = "input"},
// CHECK-SAME: %[[WTE:.+]]: memref<16x8xf32> {attune.name = "wte", attune.role = "weight"},
// CHECK-SAME: %[[OUT:.+]]: memref<?x?x8xf32> {attune.dims = ["batch", "seq"], attune.name = "hidden", attune.role = "output"})
// CHECK-SAME: attributes {attune.entry, llvm.emit_c_interface}
// CHECK-DAG: %[[T:.+]] = bufferization.to_tensor %[[IDS]] restrict
// CHECK-DAG: %[[W:.+]] = bufferization.to_tensor %[[WTE]] restrict
// CHECK: %[[X:.+]] = attune.embed %[[W]], %[[T]]
// CHECK: %[[Y:.+]] = attune.embed %[[W]], %[[T]]
// CHECK: %[[S:.+]] = attune.add %[[X]], %[[Y]]
// CHECK: bufferization.materialize_in_destination %[[S]] in restrict writable %[[OUT]]
// CHECK-NEXT: return
// CHECK-NOT: attune.weight
func.func @forward(%ids: tensor<?x?xi32> {attune.name = "input_ids", attune.dims = ["batch", "seq"]})
    -> (tensor<?x?x8xf32> {attune.name = "hidden", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
  %w = attune.weight "wte" : tensor<16x8xf32>
  %x = attune.embed %w, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  %again = attune.weight "wte" : tensor<16x8xf32>
  %y = attune.embed %again, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  %s = attune.add %x, %y : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %s : tensor<?x?x8xf32>
}

// -----

// Functions without attune.entry are left alone.
// CHECK-LABEL: func @helper
// CHECK-SAME: (%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{entry result #0 needs an attune.name}}
func.func @unnamed_output(%ids: tensor<?xi32> {attune.name = "ids"}) -> tensor<?xi32>
    attributes {attune.entry} {
  return %ids : tensor<?xi32>
}

// -----

func.func @conflicting_weight(%ids: tensor<?xi32> {attune.name = "ids"})
    -> (tensor<?x8xf32> {attune.name = "y"}) attributes {attune.entry} {
  %a = attune.weight "w" : tensor<16x8xf32>
  // expected-error @+1 {{uses weight 'w' as 'tensor<8x8xf32>' but it was already used as 'tensor<16x8xf32>'}}
  %b = attune.weight "w" : tensor<8x8xf32>
  %x = attune.embed %a, %ids : tensor<16x8xf32>, tensor<?xi32>
  %y = attune.embed %b, %ids : tensor<8x8xf32>, tensor<?xi32>
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @+1 {{entry argument #0 needs an attune.name}}
func.func @unnamed_input(%ids: tensor<?xi32>) attributes {attune.entry} {
  return
}
