/* offsets: to be written */
