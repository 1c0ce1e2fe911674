"""Statewise model definitions: recurrent / linear-attention code LMs behind one state contract.

Every model implements `forward(tokens, state) -> (logits, state)` and `init_state(batch)`.
"""
