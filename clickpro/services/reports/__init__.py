"""Client reports (issue #22): rollups kept by a job, report queries, exports and the PDF.

- :mod:`.rollups` rebuilds per client × local day counters from ``messages``;
- :mod:`.periods` turns the page's date presets into local days and UTC instants;
- :mod:`.queries` reads the rollups (messages, funnel, costs, AI spend; service counters;
  the cycle-time histograms the percentiles come from, :mod:`.cycle_times`);
- :mod:`.exports` writes any report table as XLSX or Excel-pt-BR CSV;
- :mod:`.pdf` draws the one-page monthly summary.
"""
