"""What a wristband scanner hands the app: a GS1 DataMatrix payload (symbology identifier ``]d2``,
application identifier 8018) carrying a GSRN with a valid check digit."""

GSRN = "708000000000000128"
GS1_DATAMATRIX = f"]d28018{GSRN}"
