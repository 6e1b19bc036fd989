"""CAD processing: what a file is (``formats``), what it measures (``brep`` for STEP/IGES through
OpenCASCADE, ``mesh`` for STL/OBJ through trimesh), materials and units. Plain functions over files:
no models, no Django."""
