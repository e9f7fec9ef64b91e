"""An autoregressive LSTM policy over a fixed sequence of categorical decisions (ENAS-style).

One implementation serves HNAS (op picks from a shared head, input picks by additive attention over
node embeddings, a network-level position decision fed the cell controllers' last hidden states) and
DeCoNAS (2-layer LSTM, a position-specific 2-way head per bit, tanh-squashed logits).
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
    logits.
    """

    head: str
    choices: int
    attend: int = 0


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
    ):
        super().__init__()
        self.decisions = list(decisions)
        self.hidden, self.layers = hidden, layers
        self.tanh_constant, self.temperature = tanh_constant, temperature
        self.input_proj = nn.Linear(input_size, hidden) if input_size and input_size != hidden else None
        self.lstm = nn.ModuleList(nn.LSTMCell(hidden, hidden) for _ in range(layers))
        heads, embeds, anchors = nn.ModuleDict(), nn.ModuleDict(), nn.ParameterDict()
        self.attn_e, self.attn_h, self.attn_v = nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict()
        for d in self.decisions:
            n = d.attend or d.choices
            if d.head in embeds:
                if embeds[d.head].num_embeddings < n:
                    raise ValueError(f"head {d.head!r} is declared with different sizes")
                continue
            size = max(x.attend or x.choices for x in self.decisions if x.head == d.head)
            embeds[d.head] = nn.Embedding(size, hidden)
            if d.attend:
                anchors[d.head] = nn.Parameter(torch.zeros(size, hidden))
                self.attn_e[d.head] = nn.Linear(hidden, hidden, bias=False)
                self.attn_h[d.head] = nn.Linear(hidden, hidden, bias=False)
                self.attn_v[d.head] = nn.Linear(hidden, 1, bias=False)
            else:
                heads[d.head] = nn.Linear(hidden, size)
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
        self, actions: list[int] | None = None, initial_input: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> tuple[list[int], torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample a sequence (``actions=None``) or score a given one.

        Returns (tokens, summed log-prob, summed entropy, last hidden state of the top layer).
        """
        dev = next(self.parameters()).device
        x = torch.zeros(self.hidden, device=dev) if initial_input is None else initial_input
        if self.input_proj is not None and initial_input is not None:
            x = self.input_proj(x)
        state = [(torch.zeros(1, self.hidden, device=dev), torch.zeros(1, self.hidden, device=dev)) for _ in self.lstm]
        tokens: list[int] = []
        log_prob = torch.zeros((), device=dev)
        entropy = torch.zeros((), device=dev)
        for i, d in enumerate(self.decisions):
            inp = x.view(1, -1)
            for k, cell in enumerate(self.lstm):
                state[k] = cell(inp, state[k])
                inp = state[k][0]
            h = inp[0]
            dist = Categorical(logits=self._logits(d, h))
            if actions is None:
                tok = int(torch.multinomial(dist.probs.detach(), 1, generator=generator))
            else:
                tok = int(actions[i])
                if not 0 <= tok < (d.attend or d.choices):
                    raise ValueError(f"token {tok} out of range for decision {i} ({d})")
            tokens.append(tok)
            t = torch.tensor(tok, device=dev)
            log_prob = log_prob + dist.log_prob(t)
            entropy = entropy + dist.entropy()
            x = self.embeds[d.head](t)
        return tokens, log_prob, entropy, state[-1][0][0]
