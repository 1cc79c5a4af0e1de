def export_pdf(report):
    raise NotImplementedError("TODO")
