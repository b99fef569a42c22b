"""The discover stage: run the collectors over each site, merge, store the inventory."""
