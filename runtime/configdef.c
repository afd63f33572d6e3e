/* configdef: to be written */
