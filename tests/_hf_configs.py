"""The small transformers configs the tests build models from (nothing is
downloaded), declared once: a Llama (untied head) and a GPT-2 (tied head)."""


def small_config(transformers, kind: str, **extra):
    """A ``transformers`` config of ``kind`` ("llama" or "gpt2"), about 10**5
    parameters; ``extra`` overrides fields (``dtype="bfloat16"``)."""
    if kind == "llama":
        fields = dict(hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                      max_position_embeddings=64, pad_token_id=None, bos_token_id=1,
                      eos_token_id=2)
        return transformers.LlamaConfig(**{**fields, **extra})
    if kind == "gpt2":
        fields = dict(n_embd=64, n_layer=3, n_head=4, vocab_size=512, n_positions=64,
                      bos_token_id=0, eos_token_id=0)
        return transformers.GPT2Config(**{**fields, **extra})
    raise ValueError(f"kind must be 'llama' or 'gpt2'; got {kind!r}")


KINDS = ("llama", "gpt2")
