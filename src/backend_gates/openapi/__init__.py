"""OpenAPI support: safe loading with line numbers, ref resolution, validation, summaries
(facts for drift and the runtime plugin) and breaking-change comparison."""
