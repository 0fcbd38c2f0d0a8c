// System.Numerics.Tensors also declares a type named Tensor; only its TensorPrimitives are used here.
global using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
