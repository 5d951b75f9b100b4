// Placeholder: the serializer is being written.
