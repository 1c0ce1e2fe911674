"""Statewise model definitions: recurrent / linear-attention code LMs behind one state contract.

layers.py (shared pieces) and lm.py (Block, LM: the shell and its state contract); one file per
architecture (its mixer, config and layout: hawk, griffin, based, alibi, linearized) with the mixers
two of them share in rglru.py and attention.py; registry.py maps names to architectures.
"""
