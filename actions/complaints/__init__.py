"""Client complaints: the intake form, case records, status, additions and hand-off.

One module per concern (rasa_sdk imports every submodule of `actions`):
`labels` (localised names), `validators` (pure checks), `form` (the form's
validation action), `ask` (questions built from slots), `store` (database access),
`start`, `submit` and `status` (the actions around the form).
"""
