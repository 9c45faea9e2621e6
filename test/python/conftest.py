# SPDX-License-Identifier: Apache-2.0
import pathlib
import sys

# Make scripts/ importable as modules.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
