"""sweepdeck engine: config, trials, data, models, training, run storage, analysis, LLM. Never imports Textual."""
