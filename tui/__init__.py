"""sweepdeck TUI (Textual). Never imports torch, so it starts instantly."""
