/* rest_plugins: being written */
