"""From a preset (models/presets.yaml), a `--model NAME|PATH` or a `--base-url URL` to a backend, and to the LLM
customer with the preset's sampling defaults, languages and line budget. The judge's backend comes from here too."""

from __future__ import annotations

import os

from models import ModelError, ModelSpec, resolve

from .backends import DEFAULT_TIMEOUT, Backend, LlamaCppBackend, OpenAIBackend
from .customer import MAX_TOKENS, LLMCustomer


def backend_for(spec: ModelSpec, *, timeout: float) -> Backend:
    """The backend a resolved preset names: its OpenAI-compatible server, or its GGUF file in this process. An API
    key is sent only if the user configured one (the preset's variable), and only to the server they named."""
    if spec.base_url:
        key = os.environ.get(spec.api_key_env, "")
        return OpenAIBackend(spec.base_url, spec.model, timeout=timeout, api_key=key)
    if spec.path is None:
        raise ModelError(f"Preset '{spec.name}' names neither a server nor a model file.")
    return LlamaCppBackend(spec.path, n_ctx=spec.n_ctx, name=spec.name)


def _env_timeout() -> float | None:
    """$PEILIAN_LLM_TIMEOUT (`--llm-timeout` sets it), if set: seconds above 0, or a ModelError."""
    raw = os.environ.get("PEILIAN_LLM_TIMEOUT")
    if not raw:
        return None
    try:
        timeout = float(raw)
    except ValueError:
        timeout = -1.0
    if not timeout > 0:
        raise ModelError("PEILIAN_LLM_TIMEOUT must be a number of seconds above 0, e.g. 15.")
    return timeout


def make_llm_customer(
    model: str | None = None, base_url: str | None = None, *, seed: int = 0, timeout: float | None = None
) -> LLMCustomer:
    """`--bot llm`: a preset name or a GGUF path (`--model`), or an OpenAI-compatible server (`--base-url`, or a
    server preset). The line budget is `timeout`, else $PEILIAN_LLM_TIMEOUT (`--llm-timeout` sets it), else the
    preset's `timeout:`, else DEFAULT_TIMEOUT. Raises models.ModelError (one sentence) if the model can't be found."""
    spec = resolve(model, base_url)
    if timeout is None:
        timeout = _env_timeout()
    timeout = timeout or spec.timeout or DEFAULT_TIMEOUT
    sampling = dict(spec.sampling)
    temperature = float(sampling.pop("temperature", 0.7))
    max_tokens = int(sampling.pop("max_tokens", MAX_TOKENS))
    backend = backend_for(spec, timeout=timeout)
    return LLMCustomer(
        backend,
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
        sampling=sampling,
        timeout=timeout,
        languages=spec.languages,
        warms=backend.loads_ahead,
    )
