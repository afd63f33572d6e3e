/* props: to be written */
