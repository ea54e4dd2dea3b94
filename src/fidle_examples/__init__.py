"""Exemples Keras du cours Fidle, séquence 1 : code testé, résultats réels."""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) hides the useful output.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
