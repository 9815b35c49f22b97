"""The curriculum map (../shared/CURRICULUM.md): chapters → topics → page ids, § numbers.

A topic whose page file ``explorer/pages/<id>.py`` exists is live; the others are listed
on Home as not yet available.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    sections: str  # the roadmap's § numbers
    blurb: str
    icon: str = "📄"

    @property
    def path(self) -> Path:
        return PAGES_DIR / f"{self.id}.py"

    @property
    def exists(self) -> bool:
        return self.path.exists()


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    sections: str
    topics: tuple


CHAPTERS = (
    Chapter(0, "Start", "§1, §13", (
        Topic("home", "Home", "§1", "The whole map, the device in use, how links work.", "🏠"),
        Topic("wrapup", "Wrap-up", "§13", "Recap, glossary, self-check questions, where next."),
    )),
    Chapter(1, "Mathematical foundations", "§2", (
        Topic("linear_algebra", "Linear algebra", "§2.1", "Matrices as maps, eigenvectors, SVD, PCA.", "📐"),
        Topic("calculus", "Calculus", "§2.2", "Gradients, Jacobians, Hessians, backprop, Lagrange.", "📈"),
        Topic("probability", "Probability & statistics", "§2.3", "Distributions, CLT, MLE, Bayes.", "🎲"),
        Topic("information_theory", "Information theory", "§2.4", "Entropy, cross-entropy, KL, MI.", "📡"),
        Topic("numerics", "Numerical computing", "§2.5", "Floating point, stability, conditioning.", "🔢"),
    )),
    Chapter(2, "Neural-network fundamentals", "§3", (
        Topic("playground", "Neural Network Playground", "§3.1–3.3",
              "Train a small network live on 2-D data and watch every neuron.", "🧠"),
        Topic("activations", "Activation functions", "§3.2", "f, f′, saturation, dying ReLU.", "⚡"),
        Topic("losses", "Loss functions", "§3.3", "MSE/MAE/Huber, cross-entropy, hinge, focal.", "🎯"),
        Topic("optimizers", "Optimizers", "§3.4", "SGD to Adam racing on 2-D surfaces.", "🏃"),
        Topic("schedules", "Learning-rate schedules", "§3.4", "Step, cosine, one-cycle, warm-up.", "📉"),
        Topic("regularization", "Regularization", "§3.5", "L1/L2, dropout, early stopping, mixup.", "🛡️"),
        Topic("normalization", "Normalization", "§3.5", "BatchNorm, LayerNorm, GroupNorm.", "📏"),
        Topic("loss_landscape", "Loss landscapes", "§3.6", "Surfaces, trajectories, sharpness.", "🏔️"),
        Topic("from_scratch", "A network from scratch", "§3.7", "NumPy vs autograd, checked.", "🧮"),
    )),
    Chapter(3, "Core architectures", "§4", (
        Topic("convolution", "Convolution", "§4.1", "Arithmetic, kernels, pooling, receptive field.", "🔍"),
        Topic("cnn", "CNNs", "§4.1", "Train a CNN live; filters, feature maps, classic nets.", "🖼️"),
        Topic("rnn", "RNN, LSTM, GRU", "§4.2", "Gates over time, vanishing gradients.", "🔁"),
        Topic("seq2seq", "Seq2seq & attention", "§4.2", "Encoder-decoder, beam search, alignment.", "🔀"),
        Topic("autoencoders", "Autoencoders", "§4.3", "Undercomplete, denoising, anomaly detection.", "🗜️"),
        Topic("vae", "VAEs", "§4.3", "Latent grid, ELBO terms, β, posterior collapse.", "🌀"),
        Topic("gan", "GANs", "§4.4", "2-D GAN live, losses, mode collapse, DCGAN.", "🎭"),
        Topic("diffusion", "Diffusion", "§4.5", "Forward noising, reverse sampling, DDIM.", "🌫️"),
        Topic("transformer", "Transformers", "§4.6", "Self-attention step by step, a tiny transformer.", "🤖"),
        Topic("gnn", "Graph networks", "§4.7", "Message passing, GCN, GraphSAGE, GAT."),
        Topic("neural_ode", "Neural ODEs & PINNs", "§4.8", "Continuous depth, physics-informed nets."),
        Topic("self_supervised", "Self-supervised learning", "§4.9", "Contrastive, masked modelling.", "🪞"),
    )),
    Chapter(4, "Training at scale", "§5", (
        Topic("advanced_training", "Advanced training", "§5.1", "Curriculum, meta-learning, continual."),
        Topic("mixed_precision", "Mixed precision", "§5.2", "fp16/bf16, loss scaling, checkpointing."),
        Topic("distributed", "Distributed training", "§5.3", "Data/pipeline parallel, ZeRO."),
    )),
    Chapter(5, "Applications", "§6", (
        Topic("detection", "Object detection", "§6.1", "IoU, anchors, NMS, mAP."),
        Topic("segmentation", "Segmentation", "§6.1", "A small U-Net, Dice/IoU."),
        Topic("video_pose", "Video & pose", "§6.1", "Tracking, keypoint heatmaps."),
        Topic("nlp", "NLP", "§6.2", "BPE, classification, sampling a language model."),
        Topic("audio", "Audio", "§6.3", "Spectrograms, MFCC, WaveNet, CTC."),
        Topic("rl", "Reinforcement learning", "§6.4", "GridWorld, CartPole, PPO, DQN."),
    )),
    Chapter(6, "Interpretability", "§7", (
        Topic("attribution", "Attribution", "§7.1", "Saliency, integrated gradients, Grad-CAM.", "🔦"),
        Topic("explainers", "LIME & SHAP", "§7.1", "Model-agnostic explanations compared.", "🍋"),
        Topic("embeddings", "Latent-space explorer", "§7.2", "PCA, t-SNE, UMAP of activations.", "🗺️"),
        Topic("concepts", "Concepts & probes", "§7.2", "Activation maximization, TCAV, probes.", "💡"),
    )),
    Chapter(7, "Robustness, security, ethics", "§8", (
        Topic("adversarial", "Adversarial examples", "§8.1", "FGSM, PGD, CW, adversarial training.", "🥷"),
        Topic("certified", "Certified robustness", "§8.1", "Randomized smoothing, IBP.", "✅"),
        Topic("fairness", "Fairness", "§8.2", "Group metrics and mitigation."),
        Topic("privacy", "Privacy", "§8.3", "DP-SGD, membership inference, federated."),
    )),
    Chapter(8, "Compression", "§9", (
        Topic("quantization", "Quantization", "§9.1", "PTQ, QAT, accuracy vs bits."),
        Topic("pruning", "Pruning", "§9.2", "Magnitude, structured, iterative."),
        Topic("distillation", "Distillation", "§9.3", "Teacher-student, temperature."),
        Topic("efficient_inference", "Efficient inference", "§9.4", "ONNX, TorchScript, latency."),
    )),
    Chapter(9, "Deployment and MLOps", "§10", (
        Topic("serving", "Serving", "§10.1", "Export and a real HTTP service."),
        Topic("monitoring", "Monitoring", "§10.2", "Drift, latency, Prometheus."),
        Topic("mlops", "MLOps", "§10.3", "Experiment tracking, CI/CD."),
    )),
    Chapter(10, "Research frontiers", "§11", (
        Topic("scaling_laws", "Scaling laws", "§11.1", "Power-law fits, compute-optimal frontier."),
        Topic("moe", "Mixture of experts", "§11.2", "Top-k routing, load balancing."),
        Topic("frontiers", "Frontiers", "§11.3", "AutoML, neuro-symbolic, spiking, science."),
    )),
    Chapter(11, "Capstones", "§12", (
        Topic("capstone_vision", "Vision capstone", "§12", "Classification and explainability."),
        Topic("capstone_text", "Text capstone", "§12", "Transformer summarization service."),
        Topic("capstone_gan", "GAN capstone", "§12", "Synthetic data for augmentation."),
        Topic("capstone_rl", "RL capstone", "§12", "Harder environments, multi-agent."),
        Topic("capstone_deploy", "Deployment capstone", "§12", "Deploy, load and monitor."),
    )),
)


def all_topics() -> list[Topic]:
    return [t for ch in CHAPTERS for t in ch.topics]


def live_topics() -> list[Topic]:
    """Topics whose page file exists, in curriculum order."""
    return [t for t in all_topics() if t.exists]


def topic(page_id: str) -> Topic:
    for t in all_topics():
        if t.id == page_id:
            return t
    raise KeyError(page_id)
