"""The language models' room: the backends (an in-process GGUF model, any OpenAI-compatible server), and the
customer they voice (its prompt, the guards on its words, the customer model itself, built from a preset).

`llms.backends` imports nothing of Peilian's but the line budget in `models`, so the scorer's LLM judge can use it;
`llms.prompt`, `llms.guards`, `llms.customer` and `llms.presets` build on the simulator, which never imports them.
(Not `llm/`: that name is taken by simonw's `llm` package, which the SmolLM2 model package depends on.)
"""
