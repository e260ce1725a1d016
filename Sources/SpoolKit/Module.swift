// The SpoolKit module: the substrate.
