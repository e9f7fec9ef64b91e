"""An autoregressive LSTM policy over a fixed sequence of categorical decisions (ENAS-style).

One implementation serves HNAS (op picks from a shared head, input picks by additive attention over
node embeddings, a network-level position decision fed the cell controllers' last hidden states) and
DeCoNAS (2-layer bias-free LSTM with a learned start input; each LSTM step emits the 3 bits of one
source row from 3 op heads shared across steps, and the row's 3-bit number picks the next input
embedding -- Junem360/DeCoNAS ``controller.py``; the former one-step-per-bit form stays an option).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.distributions import Categorical


@dataclass(frozen=True)
class Decision:
    """One token. ``head`` names the output layer (decisions sharing a head share weights).

    ``attend`` > 0 makes the decision pick one of the first ``attend`` entries of the head's anchor
    embeddings by additive attention (v . tanh(W_e e + W_h h)); otherwise a linear head gives ``choices``
    logits. ``same_step`` makes the decision read the same LSTM output as the one before it: the
    decisions of one *step* are emitted together, and the next step's input is the embedding of their
    joint value (mixed radix, first decision most significant) instead of the last token's embedding.
    """

    head: str
    choices: int
    attend: int = 0
    same_step: bool = False


def steps_of(decisions: list[Decision]) -> list[list[int]]:
    """Indices of the decisions grouped into LSTM steps (a ``same_step`` decision joins the previous step)."""
    steps: list[list[int]] = []
    for i, d in enumerate(decisions):
        if d.same_step and steps:
            steps[-1].append(i)
        else:
            steps.append([i])
    return steps


def _step_key(decisions: list[Decision], step: list[int]) -> str:
    return "step:" + "+".join(f"{decisions[i].head}/{decisions[i].choices}" for i in step)


def _on_generator_device(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """The probabilities on the generator's device, where the draw happens.

    A search's random streams are CPU generators (seeded per stream and step, so a run resumes exactly);
    CUDA refuses a CPU generator for a CUDA tensor. Drawing on the CPU from the same probabilities gives the
    same token stream on any device (the token is read on the host in any case, to build the architecture)."""
    if generator is not None and probs.device != generator.device:
        return probs.to(generator.device)
    return probs


class SequencePolicy(nn.Module):
    def __init__(
        self,
        decisions: list[Decision],
        hidden: int = 100,
        layers: int = 1,
        input_size: int | None = None,
        tanh_constant: float | None = None,
        temperature: float | None = None,
        init_range: float = 0.1,
        learned_start: bool = False,
        lstm_bias: bool = True,
    ):
        """``learned_start``: the first LSTM input is a learned vector (DeCoNAS/ENAS ``g_emb``) instead of
        zeros; ``lstm_bias=False``: gates without bias, as the TF ENAS-lineage ``lstm`` helper."""
        super().__init__()
        self.decisions = list(decisions)
        if self.decisions and self.decisions[0].same_step:
            raise ValueError("the first decision cannot continue a step (same_step=True)")
        if any(d.same_step and d.attend for d in self.decisions):
            raise ValueError("attention decisions cannot share a step")
        self.steps = steps_of(self.decisions)
        self.hidden, self.layers = hidden, layers
        self.tanh_constant, self.temperature = tanh_constant, temperature
        self.input_proj = nn.Linear(input_size, hidden) if input_size and input_size != hidden else None
        self.start = nn.Parameter(torch.zeros(hidden)) if learned_start else None
        self.lstm = nn.ModuleList(nn.LSTMCell(hidden, hidden, bias=lstm_bias) for _ in range(layers))
        heads, embeds, anchors = nn.ModuleDict(), nn.ModuleDict(), nn.ParameterDict()
        self.attn_e, self.attn_h, self.attn_v = nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict()
        # a head's token embedding is needed only where its token alone feeds the next step
        single = {self.decisions[step[0]].head for step in self.steps if len(step) == 1}
        sizes: dict[str, int] = {}
        for d in self.decisions:
            n = d.attend or d.choices
            if d.head in sizes:
                if sizes[d.head] < n:
                    raise ValueError(f"head {d.head!r} is declared with different sizes")
                continue
            size = sizes[d.head] = max(x.attend or x.choices for x in self.decisions if x.head == d.head)
            if d.head in single:
                embeds[d.head] = nn.Embedding(size, hidden)
            if d.attend:
                anchors[d.head] = nn.Parameter(torch.zeros(size, hidden))
                self.attn_e[d.head] = nn.Linear(hidden, hidden, bias=False)
                self.attn_h[d.head] = nn.Linear(hidden, hidden, bias=False)
                self.attn_v[d.head] = nn.Linear(hidden, 1, bias=False)
            else:
                heads[d.head] = nn.Linear(hidden, size)
        for step in self.steps:  # joint-value embeddings of multi-decision steps
            if len(step) > 1 and _step_key(self.decisions, step) not in embeds:
                n = 1
                for i in step:
                    n *= self.decisions[i].choices
                embeds[_step_key(self.decisions, step)] = nn.Embedding(n, hidden)
        self.heads, self.embeds, self.anchors = heads, embeds, anchors
        for p in self.parameters():
            nn.init.uniform_(p, -init_range, init_range)

    def _logits(self, d: Decision, h: torch.Tensor) -> torch.Tensor:
        if d.attend:
            e = self.anchors[d.head][: d.attend]
            logits = self.attn_v[d.head](torch.tanh(self.attn_e[d.head](e) + self.attn_h[d.head](h))).squeeze(-1)
        else:
            logits = self.heads[d.head](h)[: d.choices]
        if self.temperature:
            logits = logits / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * torch.tanh(logits)
        return logits

    def forward(
        self, actions: list[int] | None = None, initial_input: torch.Tensor | None = None, generator: torch.Generator | None = None,
        greedy: bool = False,
    ) -> tuple[list[int], torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample a sequence (``actions=None``), take the most likely token at every step (``greedy``: the
        policy's mode, used to tell whether a search moved its policy), or score a given sequence.

        Returns (tokens, summed log-prob, summed entropy, last hidden state of the top layer).
        """
        dev = next(self.parameters()).device
        if initial_input is not None:
            x = initial_input if self.input_proj is None else self.input_proj(initial_input)
        elif self.start is not None:
            x = self.start
        else:
            x = torch.zeros(self.hidden, device=dev)
        state = [(torch.zeros(1, self.hidden, device=dev), torch.zeros(1, self.hidden, device=dev)) for _ in self.lstm]
        tokens: list[int] = []
        log_prob = torch.zeros((), device=dev)
        entropy = torch.zeros((), device=dev)
        for step in self.steps:
            inp = x.view(1, -1)
            for k, cell in enumerate(self.lstm):
                state[k] = cell(inp, state[k])
                inp = state[k][0]
            h = inp[0]
            joint = 0
            for i in step:
                d = self.decisions[i]
                # no argument/sample validation: each check is a host read, which drains an accelerator's queue
                dist = Categorical(logits=self._logits(d, h), validate_args=False)
                if actions is None and greedy:
                    tok = int(dist.probs.detach().argmax())
                elif actions is None:
                    tok = int(torch.multinomial(_on_generator_device(dist.probs.detach(), generator), 1, generator=generator))
                else:
                    tok = int(actions[i])
                    if not 0 <= tok < (d.attend or d.choices):
                        raise ValueError(f"token {tok} out of range for decision {i} ({d})")
                tokens.append(tok)
                t = torch.tensor(tok, device=dev)
                log_prob = log_prob + dist.log_prob(t)
                entropy = entropy + dist.entropy()
                joint = joint * d.choices + tok
            if len(step) == 1:
                x = self.embeds[self.decisions[step[0]].head](t)
            else:
                x = self.embeds[_step_key(self.decisions, step)](torch.tensor(joint, device=dev))
        return tokens, log_prob, entropy, state[-1][0][0]
