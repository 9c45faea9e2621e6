"""Max poolings of odd shapes for the SNPU's separable max pooling
(lib/Conversion/GraphToNpu/MaxPoolRows.cpp): dilation with asymmetric
padding, ceil mode, a 2x3 window of strides (1, 2) over a batch of two with
signed-zero ties, a 5x5/3, a one-row image, a one-column-wide 4x1 window and
a 1x1/2. Writes m.onnx, in.npz and onnxruntime's expected.npz to the
directory given."""
import sys
import numpy as np, onnx, onnxruntime as ort
out = sys.argv[1]
from onnx import helper as h, TensorProto as T
cases = {
 'dil':   dict(shape=[1, 8, 20, 21], kernel_shape=[3, 3], strides=[2, 2], dilations=[2, 2], pads=[2, 1, 2, 1]),
 'ceil':  dict(shape=[1, 16, 13, 13], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
 'rect':  dict(shape=[2, 5, 9, 30], kernel_shape=[2, 3], strides=[1, 2], pads=[0, 1, 1, 0]),
 'big':   dict(shape=[1, 3, 40, 40], kernel_shape=[5, 5], strides=[3, 3], pads=[2, 2, 2, 2]),
 'row':   dict(shape=[1, 32, 1, 50], kernel_shape=[1, 4], strides=[1, 4]),
 'col':   dict(shape=[1, 32, 50, 3], kernel_shape=[4, 1], strides=[3, 1], pads=[1, 0, 2, 0]),
 'k1':    dict(shape=[1, 64, 10, 10], kernel_shape=[1, 1], strides=[2, 2]),
}
nodes=[]; ins=[]; outs=[]
for name, c in cases.items():
    shape = c.pop('shape')
    nodes.append(h.make_node('MaxPool', ['x_'+name], ['y_'+name], name=name, **c))
    ins.append(h.make_tensor_value_info('x_'+name, T.FLOAT, shape))
    outs.append(h.make_tensor_value_info('y_'+name, T.FLOAT, None))
    c['shape']=shape
g = h.make_graph(nodes, 'g', ins, outs)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)]); m.ir_version = 8
onnx.save(m, f'{out}/m.onnx')
r = np.random.default_rng(1)
f = {'x_'+n: (r.standard_normal(c['shape']) - 3).astype(np.float32) for n, c in cases.items()}
f['x_rect'] = r.choice(np.array([-0.0, 0.0, -1.0], np.float32), cases['rect']['shape'])
np.savez(f'{out}/in.npz', **f)
np.savez(f'{out}/expected.npz', **dict(zip(['y_'+n for n in cases], ort.InferenceSession(f'{out}/m.onnx').run(None, f))))
