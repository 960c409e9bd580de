"""Real-world time series bundled with skrnn.

Daily Ethereum and Bitcoin candles (Binance), Ethereum on-chain statistics
(Etherscan), daily tweet sentiment, the Crypto Fear & Greed Index and the
USD/PLN exchange rate. Sources, commits and checks are in ``PROVENANCE.md``
in ``skrnn/datasets/data/``.
"""

from ._base import FEATURE_GROUPS, feature_columns, load_btc, load_eth, load_usdpln

__all__ = ["FEATURE_GROUPS", "feature_columns", "load_btc", "load_eth", "load_usdpln"]
