/* registry: to be written */
