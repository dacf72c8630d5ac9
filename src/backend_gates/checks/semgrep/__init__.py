"""Rules of the bundled semgrep pack (`rules/`), registered as documented checks of kind "semgrep"."""
