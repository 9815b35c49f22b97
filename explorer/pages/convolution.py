"""Convolution (§4.1): the arithmetic of sizes, classic kernels on photos, pooling, receptive fields."""
import streamlit as st

from explorer.ui import convolution_view as view
from explorer.ui import layout, params

layout.header(view.PAGE, "Change padding, stride and dilation and watch which input cells each output cell reads "
              "(▶ Animate in the chart); then run edge, blur and your own kernels over a photo, pool it, and "
              "see how the receptive field grows through a stack of layers.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
share_slot = st.columns([4, 1])[1]

view.arithmetic_section(params.current(view.SPEC))
view.kernels_section(params.current(view.SPEC))
view.pooling_section(params.current(view.SPEC))
view.receptive_section(params.current(view.SPEC))

query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, share_slot, note=view.SHARE_NOTE)

layout.explain("convolution, pooling and receptive fields", [
    "A convolutional layer slides a small kernel w (k_h × k_w) over the input and, at each position, sums "
    "the products — strictly a **cross-correlation**, which is what `torch.nn.functional.conv2d` computes:",
    ("latex", r"y[i,j] = \sum_{a=0}^{k_h-1}\sum_{b=0}^{k_w-1} w[a,b]\;x_{\text{pad}}[\,i s + a d,\; j s + b d\,]"),
    "**Padding** p adds p rows/columns of zeros on every side, **stride** s is the step between output "
    "positions, **dilation** d spaces the taps (the kernel then spans d(k−1)+1 cells). Along each axis the "
    "output length is",
    ("latex", r"o = \left\lfloor \frac{i + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1"),
    "so 'same' size at stride 1 needs p = d(k−1)/2, and when d(k−1)+1 > i+2p no position fits (o ≤ 0).",
    "**Classic kernels** are convolutions with hand-picked weights. Weights summing to 1 keep the brightness "
    "(blur, sharpen, identity); weights summing to 0 answer 0 on flat regions and respond to change (Sobel, "
    "Laplacian). The Sobel pair estimates the two partial derivatives; the edge strength is",
    ("latex", r"G_x = \begin{bmatrix}-1&0&1\\-2&0&2\\-1&0&1\end{bmatrix}\star x,\quad G_y = G_x^{\top}\star x,\quad"
              r"\ |\nabla x| \approx \sqrt{G_x^2 + G_y^2}"),
    "A CNN *learns* such kernels; its first layer often ends up with edge and blob detectors much like these.",
    "**Pooling** summarizes each window: max keeps the strongest response (and sends the gradient back to that "
    "one cell), average keeps the mean. Its output size follows the same formula with k = window, d = 1.",
    "**Receptive field.** With r the side of the input region one unit sees and j the distance in input pixels "
    "between neighbouring units, each layer (kernel k, stride s, dilation d) updates, from r₀ = j₀ = 1,",
    ("latex", r"r_{l} = r_{l-1} + (k_l - 1)\,d_l\,j_{l-1}, \qquad j_{l} = j_{l-1}\, s_l"),
    "Strides early multiply every later layer's growth; dilation grows r fast but can leave holes (only the "
    "'pixels connected' share of the square reaches the unit — the gridding effect of repeating one dilation). "
    "The **effective** receptive field, |∂y/∂x| for random weights, is bell-shaped: central pixels feed the unit "
    "through many more paths than border ones (Luo et al., 2016).",
])
layout.presets(view.PAGE, [
    ("'Same' padding", "7×7 input, 3×3 kernel, p = 1, s = 1: the output keeps the input's size.",
     {"rows": "7", "cols": "7", "stride": "1"}),
    ("Dilated (atrous)", "d = 2 on a 7×7 input: the 3×3 kernel spans 5×5 cells with gaps; p = 2 keeps the size.",
     {"rows": "7", "cols": "7", "dil": "2", "pad": "2", "stride": "1"}),
    ("Non-square", "A 1×5 kernel with stride 2 on a 6×10 input: rows and columns follow the formula separately.",
     {"rows": "6", "cols": "10", "kh": "1", "kw": "5", "pad": "0"}),
    ("Edges of coins", "Sobel y on the coins: top and bottom rims light up with opposite signs.",
     {"photo": "coins", "kernel": "sobel_y"}),
    ("Your own kernel", "An 8-neighbour Laplacian typed by hand outlines the text.",
     {"photo": "text", "kernel": "custom", "custom": "1,1,1;1,-8,1;1,1,1"}),
    ("Overlapping pooling", "AlexNet's 3×3 windows with stride 2 on the astronaut.",
     {"photo": "astronaut", "pool": "3", "pstride": "2"}),
    ("Gridding", "Three 3×3 convolutions all with d = 2: r = 13 but only 29 % of the square is connected.",
     {"stack": "conv3d2,conv3d2,conv3d2"}),
    ("Dilation done right", "Dilations 1, 2, 4: r = 15 with no holes (hybrid dilated convolution).",
     {"stack": "conv3,conv3d2,conv3d4"}),
    ("ResNet stem", "7×7 stride 2, 3×3 pool stride 2, then 3×3 convs: strides early make r grow fast.",
     {"stack": "conv7s2,pool3s2,conv3,conv3,conv3,conv3"}),
])
