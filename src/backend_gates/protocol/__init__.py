"""The team protocol around the gates (the backend-orchestration card's "event communication").

- `contracts`: `frontend.api.request` events in, `API-CONTRACT` verdicts out.
- `ready`: `backend.api.ready` events, one per endpoint whose API gates all passed.
- `registry`: `backend-gates registry` (endpoints.json, models.json).
- `changes`: `backend-gates changes --base REF` (Markdown for the developer docs).
- `newcode`: the new-code base (`new-code`, `--new-code`, the CI's pull/merge request base).
- `outcomes`: the pytest-side observer that records test outcomes for readiness.
"""
