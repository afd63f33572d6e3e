/* rest: being written */
