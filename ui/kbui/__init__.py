"""The Streamlit front end's helpers: words (``texts``), computations (``logic``), shared read-only
resources (``resources``) and the widgets that show an answer (``render``)."""
