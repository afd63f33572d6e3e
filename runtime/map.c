/* map: to be written */
