// Placeholder: the DMA API is being written.
