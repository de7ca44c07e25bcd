"""Custom Rasa NLU components: script-aware tokenizer, language identifier, lexicon."""
