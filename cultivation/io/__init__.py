"""The ladder's spreadsheets: ladder.py imports years of 科小、培育库、申报、证书、荣誉 lists
(and offers their template)."""
