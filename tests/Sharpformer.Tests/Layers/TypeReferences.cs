using System.Reflection;
using System.Reflection.Emit;

namespace Sharpformer.Tests.Layers;

/// <summary>
/// Every type a type refers to: in its signatures (base type, interfaces, fields, properties, method
/// parameters and results), its attributes, its local variables, and the tokens of its method bodies'
/// IL (calls, field accesses, object creations, casts, typeof).
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic
        | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    public static IEnumerable<Type> Of(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var argument in t.GetGenericArguments()) Add(argument);
                return;
            }
            found.Add(t);
        }
        void AddAttributes(IEnumerable<CustomAttributeData> attributes)
        {
            foreach (var attribute in attributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(n => n.TypedValue)))
                    if (argument.Value is Type typeArgument) Add(typeArgument);
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        AddAttributes(type.CustomAttributes);
        foreach (var field in type.GetFields(Declared)) { Add(field.FieldType); AddAttributes(field.CustomAttributes); }
        foreach (var property in type.GetProperties(Declared)) Add(property.PropertyType);
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info) Add(info.ReturnType);
            foreach (var parameter in method.GetParameters()) Add(parameter.ParameterType);
            AddAttributes(method.CustomAttributes);
            var body = method.GetMethodBody();
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in IlTokens(method, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t: Add(t); break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo mi) Add(mi.ReturnType);
                        foreach (var parameter in m.GetParameters()) Add(parameter.ParameterType);
                        if (m.IsGenericMethod) foreach (var argument in m.GetGenericArguments()) Add(argument);
                        break;
                    case FieldInfo f: Add(f.DeclaringType); Add(f.FieldType); break;
                }
            }
        }
        found.Remove(type);
        return found;
    }

    // The members named by the token operands of a method body's IL.
    private static IEnumerable<MemberInfo> IlTokens(MethodBase method, byte[] il)
    {
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at++];
            if (value == 0xFE) value = (short)(0xFE00 | il[at++]);
            var op = OpCodesByValue[value];
            int size = OperandSize(op.OperandType, il, at);
            if (op.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType)
            {
                int token = BitConverter.ToInt32(il, at);
                yield return method.Module.ResolveMember(token, typeArguments, methodArguments)!;
            }
            at += size;
        }
    }

    private static int OperandSize(OperandType operand, byte[] il, int at) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
