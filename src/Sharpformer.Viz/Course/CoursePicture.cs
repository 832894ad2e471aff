namespace Sharpformer.Viz.Course;

/// <summary>One picture of the course: its file in docs/images, the chapter that shows it, and how it is drawn.</summary>
/// <param name="FileName">The PNG's name, e.g. <c>tensor-strides.png</c>.</param>
/// <param name="Chapter">The docs page that shows it, e.g. <c>01-tensors.md</c>.</param>
/// <param name="Description">What it shows, in a few words.</param>
/// <param name="Write">Draws it to the given path.</param>
public sealed record CoursePicture(string FileName, string Chapter, string Description, Action<string> Write);
